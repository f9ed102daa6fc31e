"""DomainSet throughput on email addresses, against naive suffix loops, subdomains included.

A page of distinct email addresses is matched against 10,000 monitored domains (some of
them IDN, some nested in others). Like a credential dump, about half of the addresses are
at big webmail providers, 1% are at a monitored domain or one of its subdomains, and the
rest are at other random domains; one in ten is upper-case and one in a thousand has a
non-ASCII (IDN) domain.

DomainSet is timed on the whole page; the naive loops (``any(email.endswith(...))`` and
``email.endswith(tuple)``) on a sample, extrapolated; all in the same run and checked
to agree on the sample.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import string
import time
from collections.abc import Callable, Sequence
from functools import partial

from tipwire.match import DomainSet

WEBMAIL = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "mail.ru", "aol.com", "gmx.de"]
TLDS = ["com", "net", "org", "de", "ru", "io", "fr", "jp", "co.uk", "com.br"]
IDN_LABELS = ["bücher", "müller", "straße", "café", "ελλάδα", "пример", "日本語"]


def random_label(rng: random.Random, low: int = 3, high: int = 12) -> str:
    """A random lower-case host label."""
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(low, high)))


def make_domains(rng: random.Random, count: int) -> list[str]:
    """Distinct monitored domains: 2% IDN, 5% subdomains of another monitored domain."""
    domains: dict[str, None] = {}
    while len(domains) < count:
        roll = rng.random()
        if roll < 0.02:
            name = f"{rng.choice(IDN_LABELS)}{rng.randrange(10**6)}.{rng.choice(TLDS)}"
        elif roll < 0.07 and domains:
            name = f"{random_label(rng, 2, 6)}.{rng.choice(list(domains)[-100:])}"
        else:
            name = f"{random_label(rng)}.{rng.choice(TLDS)}"
        domains[name] = None
    return list(domains)


def make_emails(rng: random.Random, count: int, domains: Sequence[str]) -> list[str]:
    """Distinct email addresses (the local part carries a serial number)."""
    emails = []
    for serial in range(count):
        roll = rng.random()
        if roll < 0.005:
            host = rng.choice(domains)
        elif roll < 0.01:
            host = f"{random_label(rng, 2, 6)}.{rng.choice(domains)}"
        elif roll < 0.5:
            host = rng.choice(WEBMAIL)
        elif roll < 0.501:
            host = f"{rng.choice(IDN_LABELS)}{rng.randrange(100)}.{rng.choice(TLDS)}"
        elif roll < 0.8:
            host = f"{random_label(rng)}.{rng.choice(TLDS)}"
        else:
            host = f"{random_label(rng, 2, 8)}.{random_label(rng)}.{rng.choice(TLDS)}"
        email = f"{random_label(rng, 3, 10)}.{serial}@{host}"
        emails.append(email.upper() if rng.random() < 0.1 else email)
    return emails


def naive_any(domains: Sequence[str]) -> Callable[[Sequence[str]], list[bool]]:
    """The obvious loop: does the lower-cased email end in '@domain' or '.domain' for any domain."""
    suffixes = [prefix + name for name in domains for prefix in ("@", ".")]

    def matches(emails: Sequence[str]) -> list[bool]:
        return [any(email.lower().endswith(suffix) for suffix in suffixes) for email in emails]

    return matches


def naive_tuple(domains: Sequence[str]) -> Callable[[Sequence[str]], list[bool]]:
    """The same test with str.endswith over a tuple of suffixes (the loop runs in C)."""
    suffixes = tuple(prefix + name for name in domains for prefix in ("@", "."))

    def matches(emails: Sequence[str]) -> list[bool]:
        return [email.lower().endswith(suffixes) for email in emails]

    return matches


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of several runs, with the garbage collector paused as timeit does."""
    times = []
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        finally:
            gc.enable()
    return statistics.median(times)


def main() -> None:
    """Parse the command line, build the data, time every method and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    email_count, domain_count = (20_000, 1_000) if args.quick else (1_000_000, 10_000)
    samples = {"any": 200, "tuple": 1_000} if args.quick else {"any": 1_000, "tuple": 5_000}
    repeats = 3 if args.quick else args.repeats

    rng = random.Random(args.seed)
    domains = make_domains(rng, domain_count)
    emails = make_emails(rng, email_count, domains)
    started = time.perf_counter()
    monitored = DomainSet.from_strings(domains, include_subdomains=True)
    build = time.perf_counter() - started
    punycode = monitored.domains

    result = monitored.match(emails)
    for name, naive in (("any", naive_any(punycode)), ("tuple", naive_tuple(punycode))):
        sample = [email for email in emails[: samples[name]] if email.isascii()]
        assert naive(sample) == (monitored.match(sample).index >= 0).tolist()
    hits = len(result.matched())

    timings = {
        "DomainSet.match": median_seconds(lambda: monitored.match(emails), repeats),
    }
    for name, naive, label in (
        ("any", naive_any(punycode), "naive any(email.endswith(s) ...)"),
        ("tuple", naive_tuple(punycode), "naive email.endswith(tuple_of_suffixes)"),
    ):
        sample = emails[: samples[name]]
        seconds = median_seconds(partial(naive, sample), 1)
        timings[f"{label} ({len(sample):,} sampled)"] = seconds * email_count / len(sample)

    print(f"median of {repeats} run(s), seed {args.seed}\n")
    print(
        f"{domain_count:,} domains (built in {build:.2f} s), subdomains included, "
        f"{email_count:,} emails, {hits / email_count:.2%} matched:"
    )
    for label, seconds in timings.items():
        print(f"  {label:<56} {email_count / seconds:>12,.0f} emails/s")
    ours = timings["DomainSet.match"]
    for label, seconds in list(timings.items())[1:]:
        print(f"  DomainSet / {label.split(' (')[0]}: {seconds / ours:,.0f}x")


if __name__ == "__main__":
    main()
