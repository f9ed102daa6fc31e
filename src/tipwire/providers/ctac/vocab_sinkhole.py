"""What sinkholed malware looks like on the wire: families, their domains, paths and agents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# User agents seen from bots: many copy an old browser, some send their own.
UA_IE6: Final = "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)"
UA_IE7_NET: Final = (
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/7.0; SLCC2; .NET CLR 2.0.50727;"
    " .NET CLR 3.5.30729; .NET CLR 3.0.30729; .NET4.0C; .NET4.0E)"
)
UA_IE8: Final = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; Trident/4.0)"
UA_IE11: Final = "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko"
UA_FIREFOX: Final = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:64.0) Gecko/20100101 Firefox/64.0"
UA_CHROME: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/79.0.3945.130 Safari/537.36"
)
UA_CHROME_OLD: Final = (
    "Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/41.0.2228.0"
    " Safari/537.36"
)
UA_OPERA: Final = "Opera/9.80 (Windows NT 6.1; U; en) Presto/2.10.289 Version/12.02"
UA_WINHTTP: Final = "WinHTTP Example/1.0"
UA_CRYPTOAPI: Final = "Microsoft-CryptoAPI/6.1"
UA_BARE: Final = "Mozilla/4.0"
UA_WGET: Final = "Wget/1.12 (linux-gnu)"


@dataclass(frozen=True, slots=True)
class Family:
    """A malware family as its sinkholed traffic shows it."""

    name: str
    weight: float
    domain_style: str  # letters | words | hex
    name_length: tuple[int, int]
    tlds: tuple[str, ...]
    paths: tuple[str, ...]
    agents: tuple[str, ...]
    ports: tuple[int, ...] = (80,)


FAMILIES: Final = (
    Family("Conficker", 12, "letters", (5, 11), ("com", "net", "org", "info", "biz", "ws", "cn"),
           ("/search?q=0", "/search?q=1", "/search?q=2&aq=7", "/"), (UA_IE6, UA_IE8)),
    Family("Necurs", 9, "letters", (7, 21), ("tj", "in", "jp", "bz", "ki", "cx", "mn", "pw", "la"),
           ("/forum.php", "/news.php", "/blog/index.php"), (UA_IE11,), (80, 443)),
    Family("Ramnit", 9, "letters", (8, 19), ("com",), ("/", "/ping.php", "/check.php"),
           (UA_IE8, UA_CHROME_OLD), (443, 80)),
    Family("Sality", 6, "letters", (6, 10), ("ru", "info", "com"),
           ("/images/logos.gif", "/sm.gif", "/mainpage/logo.gif?1d2c3b=4455"), (UA_IE8, UA_IE6)),
    Family("Gameover Zeus", 7, "letters", (12, 24), ("com", "net", "org", "biz"),
           ("/", "/news/", "/index.php"), (UA_IE8, UA_IE11)),
    Family("Emotet", 8, "words", (2, 2), ("com", "net", "info"),
           ("/wp-content/plugins/kx4n/", "/wp-admin/css/colors/", "/json/ringin/", "/cgi/ojhu/"),
           (UA_IE7_NET,), (8080, 7080, 443, 80)),
    Family("TrickBot", 5, "letters", (9, 14), ("com", "info", "biz"),
           ("/mor84/5/spk/", "/zev5/0/", "/tot153/14/"), (UA_FIREFOX, UA_CHROME), (443, 449, 8082)),
    Family("Dridex", 4, "letters", (7, 12), ("com", "net", "eu"),
           ("/", "/sdfsd.php", "/wp-includes/css/"), (UA_IE11, UA_CRYPTOAPI), (443, 8443)),
    Family("Qakbot", 5, "letters", (8, 25), ("org", "biz", "com", "net", "info"),
           ("/t3", "/bot_serv", "/cgi-bin/jvqt.cgi"), (UA_IE11, UA_CHROME)),
    Family("Andromeda", 6, "words", (2, 2), ("com", "net", "ru"),
           ("/gate.php", "/image.php", "/in.php"), (UA_BARE,)),
    Family("Virut", 5, "letters", (6, 6), ("pl", "net", "com"), ("/", "/s.php"), (UA_IE6,)),
    Family("Tinba", 4, "letters", (12, 12), ("com", "net", "in", "ru", "biz", "pw", "club"),
           ("/tinba/", "/", "/home/"), (UA_IE8, UA_FIREFOX)),
    Family("Nymaim", 4, "letters", (5, 12), ("com", "net", "in", "ru", "pw"),
           ("/zj6ukq3/index.php", "/vl48i/index.php"), (UA_IE11,)),
    Family("Pushdo", 3, "letters", (8, 12), ("kz", "com", "net"),
           ("/?ptrxcz_gXaDvNh", "/?ptrxcz_A9c2q"), (UA_IE6,)),
    Family("Kelihos", 3, "letters", (6, 9), ("ru",), ("/", "/index.htm"), (UA_IE8,)),
    Family("Simda", 3, "letters", (6, 10), ("com", "info", "net", "eu"),
           ("/", "/bots.php"), (UA_IE8, UA_WINHTTP)),
    Family("Matsnu", 3, "words", (3, 3), ("com", "net"), ("/",), (UA_IE8,)),
    Family("Suppobox", 4, "words", (2, 2), ("net", "ru"),
           ("/index.php?q=2", "/index.php?q=5"), (UA_IE8, UA_OPERA)),
    Family("Banjori", 2, "letters", (15, 20), ("com",), ("/", "/tasks.php"), (UA_IE6,)),
    Family("Pykspa", 3, "letters", (6, 12), ("com", "net", "org", "info", "cc"), ("/",),
           (UA_IE6, UA_BARE)),
    Family("Locky", 3, "letters", (8, 15), ("ru", "info", "biz", "click", "su", "work", "pl"),
           ("/main.php", "/upload/_dispatch.php", "/userinfo.php"), (UA_CHROME_OLD, UA_IE11)),
    Family("CryptoLocker", 2, "letters", (12, 15), ("com", "net", "biz", "ru", "org", "info"),
           ("/home/",), (UA_IE8,)),
    Family("Dyre", 2, "hex", (34, 34), ("cc", "ws", "to", "in", "hk", "cn", "tk", "so"),
           ("/", "/img/"), (UA_CHROME_OLD,), (443, 80)),
    Family("Shylock", 2, "letters", (9, 14), ("com", "net", "info"),
           ("/ping.html", "/files/hidden7710777.jpg"), (UA_IE8,), (443,)),
    Family("Corebot", 2, "letters", (10, 14), ("ddns.net", "com"), ("/client/",), (UA_CHROME,)),
    Family("Bamital", 2, "hex", (32, 32), ("info", "org"), ("/search.php",), (UA_IE8,)),
    Family("Ursnif", 4, "words", (2, 2), ("com", "net", "ru"),
           ("/images/Jx9Ffv0lM2_2/Bt5W_2FQ3.avi", "/images/8Vd_2BkqzM/yJ4.avi"),
           (UA_IE11, UA_CHROME)),
    Family("Murofet", 3, "letters", (16, 40), ("biz", "info", "org", "net", "com", "ru"),
           ("/", "/index.php"), (UA_IE8, UA_WGET)),
)  # fmt: skip

DOMAINS_PER_FAMILY: Final = 8

# Words for dictionary-based domain generators (Matsnu, Suppobox style).
DGA_WORDS: Final = (
    "about", "above", "action", "after", "again", "almost", "along", "always", "animal",
    "answer", "before", "behind", "believe", "better", "between", "black", "bottom", "bread",
    "bring", "brother", "build", "business", "center", "change", "children", "circle",
    "country", "course", "dance", "decide", "different", "distant", "double", "early",
    "energy", "enough", "every", "father", "figure", "follow", "forest", "friend", "garden",
    "general", "glass", "ground", "happen", "heavy", "history", "island", "kitchen", "letter",
    "market", "middle", "midnight", "minute", "morning", "mountain", "nature", "neighbor",
    "number", "office", "paper", "people", "picture", "plant", "power", "present", "quiet",
    "river", "school", "season", "silver", "simple", "station", "story", "strong", "summer",
    "table", "thought", "travel", "valley", "village", "water", "weather", "window", "winter",
)  # fmt: skip

# Sinkhole servers: a few per operator, in documentation space so they never look like a victim.
SINKHOLES_V4: Final = tuple(f"192.0.2.{host}" for host in (10, 11, 53, 54, 80, 81, 200, 201))
SINKHOLES_V6: Final = tuple(f"2001:db8:5000::{host:x}" for host in (0x10, 0x53, 0x80, 0x200))
