"""What keylogger captures look like: families, victims' mail domains, sites and programs."""

from __future__ import annotations

from typing import Final

# (family, weight): the information stealers and keyloggers most seen in capture logs.
KEYLOGGERS: Final = (
    ("Agent Tesla", 20), ("FormBook", 14), ("LokiBot", 12), ("HawkEye", 10), ("Snake", 8),
    ("Remcos", 7), ("RedLine", 9), ("Ave Maria", 4), ("Azorult", 4), ("Pony", 4),
    ("Predator the Thief", 3), ("Raccoon", 3), ("Vidar", 2),
)  # fmt: skip

# (domain, weight, kind). kind "webmail" has its own login page; "corporate" gets company
# portals (webmail, VPN, intranet). The example.* domains are what the demo organisation owns;
# example.net, myexample.com and example.com.attacker.example are near misses that a
# correct domain matcher must not take for them.
EMAIL_DOMAINS: Final = (
    ("gmail.com", 180, "webmail"), ("yahoo.com", 70, "webmail"), ("outlook.com", 45, "webmail"),
    ("hotmail.com", 55, "webmail"), ("aol.com", 12, "webmail"), ("mail.ru", 30, "webmail"),
    ("yandex.ru", 22, "webmail"), ("qq.com", 25, "webmail"), ("163.com", 18, "webmail"),
    ("web.de", 14, "webmail"), ("gmx.de", 12, "webmail"), ("orange.fr", 10, "webmail"),
    ("libero.it", 8, "webmail"), ("naver.com", 8, "webmail"), ("rediffmail.com", 6, "webmail"),
    ("uol.com.br", 7, "webmail"), ("bluewater-shipping.example", 9, "corporate"),
    ("kestrel-finance.example", 7, "corporate"), ("ridgeline-clinic.example", 6, "corporate"),
    ("ironbridge-steel.example", 6, "corporate"), ("sunfield-agro.example", 5, "corporate"),
    ("alpenrose-hotel.example", 5, "corporate"), ("harbor-and-sons.example", 5, "corporate"),
    ("nordlicht-logistik.example", 4, "corporate"), ("example.com", 12, "corporate"),
    ("example.org", 8, "corporate"), ("mail.example.com", 3, "corporate"),
    ("sales.example.org", 2, "corporate"), ("bücher.example", 3, "corporate"),
    ("example.net", 4, "corporate"), ("myexample.com", 2, "corporate"),
    ("example.com.attacker.example", 1, "corporate"),
)  # fmt: skip

WEBMAIL_LOGINS: Final = {
    "gmail.com": "https://accounts.google.com/signin/v2/identifier",
    "yahoo.com": "https://login.yahoo.com/",
    "outlook.com": "https://login.live.com/login.srf",
    "hotmail.com": "https://login.live.com/login.srf",
    "aol.com": "https://login.aol.com/",
    "mail.ru": "https://account.mail.ru/login",
    "yandex.ru": "https://passport.yandex.ru/auth",
    "qq.com": "https://mail.qq.com/",
    "163.com": "https://mail.163.com/",
    "web.de": "https://web.de/",
    "gmx.de": "https://www.gmx.net/",
    "orange.fr": "https://login.orange.fr/",
    "libero.it": "https://login.libero.it/",
    "naver.com": "https://nid.naver.com/nidlogin.login",
    "rediffmail.com": "https://mail.rediff.com/cgi-bin/login.cgi",
    "uol.com.br": "https://conta.uol.com.br/login",
}

# Sites anyone may log in to, wherever their mailbox lives.
PUBLIC_SITES: Final = (
    "https://www.facebook.com/login.php", "https://www.linkedin.com/login",
    "https://www.paypal.com/signin", "https://www.amazon.com/ap/signin",
    "https://signin.ebay.com/ws/eBayISAPI.dll", "https://discord.com/login",
    "https://www.netflix.com/login", "https://steamcommunity.com/login/home/",
    "https://twitter.com/login", "https://www.instagram.com/accounts/login/",
)  # fmt: skip

CORPORATE_URLS: Final = (
    "https://mail.{domain}/owa/auth/logon.aspx", "https://vpn.{domain}/remote/login",
    "https://portal.{domain}/login", "https://{domain}/wp-login.php",
    "https://sso.{domain}/adfs/ls/",
)  # fmt: skip

# (application, URL templates): browsers get web logins, mail and FTP clients get servers.
BROWSERS: Final = (
    "Google Chrome", "Mozilla Firefox", "Microsoft Edge", "Opera", "Internet Explorer",
    "Brave", "Yandex Browser", "Chromium",
)  # fmt: skip
MAIL_CLIENTS: Final = (
    ("Microsoft Outlook", "imap://imap.{domain}:993"),
    ("Mozilla Thunderbird", "imap://imap.{domain}:993"),
    ("The Bat!", "smtp://smtp.{domain}:587"),
    ("Foxmail", "pop3://pop.{domain}:995"),
)
FILE_CLIENTS: Final = (
    ("FileZilla", "ftp://ftp.{domain}/"),
    ("WinSCP", "sftp://files.{domain}:22/"),
    ("CoreFTP", "ftp://ftp.{domain}:21/"),
)

FIRST_NAMES: Final = (
    "james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "david",
    "elizabeth", "maria", "ahmed", "fatima", "wei", "li", "hiroshi", "yuki", "olga", "ivan",
    "sergei", "anna", "lukas", "sophie", "pierre", "camille", "giulia", "marco", "carlos",
    "lucia", "priya", "rahul", "min-jun", "seo-yeon", "joao", "ana", "kwame", "amara", "lars",
    "ingrid", "mehmet", "ayse", "tomasz", "katarzyna", "nguyen", "thi",
)  # fmt: skip
LAST_NAMES: Final = (
    "smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "martinez",
    "muller", "schmidt", "schneider", "dubois", "moreau", "rossi", "russo", "ivanov",
    "petrova", "wang", "zhang", "chen", "sato", "suzuki", "kim", "park", "silva", "santos",
    "kumar", "sharma", "hansen", "nielsen", "yilmaz", "kaya", "kowalski", "nowak", "mensah",
    "okafor", "tran", "novak", "horvat",
)  # fmt: skip
HOST_PREFIXES: Final = ("DESKTOP-", "WIN-", "LAPTOP-", "PC-", "OFFICE-")
