"""The free-text reader: refanged indicators, each with its sentence."""

from __future__ import annotations

import io
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.formats.base import ParsedObject, ReadError, detect_format
from accord.formats.text import TextReader

REPORT = """Subject: Romance scam wave

Victims were told to send money to IBAN GB82 WEST 1234 5698 7654 32! The fake profile page was
hosted at hxxps://login-bank[.]example[.]com/verify and mails came from scam@bad-bank[.]example[.]org.
Payments also went to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq. Call-backs used +44 20 7946 0958.
The dropper hash is D41D8CD98F00B204E9800998ECF8427E.
"""


def read(text: str | bytes) -> list[ParsedObject | ReadError]:
    data = text.encode() if isinstance(text, str) else text
    return list(TextReader().read(io.BytesIO(data)))


def test_plain_text_is_detected_last():
    assert detect_format(REPORT.encode()) == "text"
    assert detect_format(b"type,value\nipv4,1.2.3.4\n") == "csv"


def test_indicators_are_refanged_normalised_and_keep_their_sentence():
    parsed = read(REPORT)
    mentions = {(m.type, m.value): m.context for p in parsed for m in p.mentions}
    assert ("iban", "GB82WEST12345698765432") in mentions
    assert ("url", "https://login-bank.example.com/verify") in mentions
    assert ("email", "scam@bad-bank.example.org") in mentions
    assert ("btc", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq") in mentions
    assert ("phone", "+442079460958") in mentions
    assert ("md5", "d41d8cd98f00b204e9800998ecf8427e") in mentions
    assert mentions[("iban", "GB82WEST12345698765432")].startswith("Victims were told to send money")
    assert (
        mentions[("md5", "d41d8cd98f00b204e9800998ecf8427e")] == "The dropper hash is D41D8CD98F00B204E9800998ECF8427E."
    )
    assert all(p.stix["description"] for p in parsed)


def test_each_sentence_keeps_its_own_category_and_masks_the_others():
    """A technical indicator's sentence names no phone number, e-mail address, IBAN or wallet
    (not even one the search does not take, at a reserved domain); a phone number's keeps the
    personal data and masks the IBAN; an IBAN's the reverse. A hash is no IBAN."""
    text = (
        "Send to +971 50 123 9999, paid into GB29 NWBK 6016 1331 9268 19 or 1BoatSLRHtKNngkdXEeobR76b53LETtpyT, "
        "mail ops@evil-payments.example, hash AB12CD34EF56AB12CD34EF56AB12CD34 at hxxps://evil-payments[.]com/login."
    )
    sentences = {(m.type, m.value): m.context for p in read(text) for m in p.mentions}
    assert sentences[("url", "https://evil-payments.com/login")] == (
        "Send to [phone number], paid into [IBAN] or [crypto address], mail [e-mail address], "
        "hash AB12CD34EF56AB12CD34EF56AB12CD34 at hxxps://evil-payments[.]com/login."
    )
    assert sentences[("phone", "+971501239999")] == (
        "Send to +971 50 123 9999, paid into [IBAN] or [crypto address], mail ops@evil-payments.example, "
        "hash AB12CD34EF56AB12CD34EF56AB12CD34 at hxxps://evil-payments[.]com/login."
    )
    assert sentences[("iban", "GB29NWBK60161331926819")] == (
        "Send to [phone number], paid into GB29 NWBK 6016 1331 9268 19 or 1BoatSLRHtKNngkdXEeobR76b53LETtpyT, "
        "mail [e-mail address], hash AB12CD34EF56AB12CD34EF56AB12CD34 at hxxps://evil-payments[.]com/login."
    )


def test_non_utf8_is_refused():
    (error,) = read(b"caf\xe9 \xff")
    assert isinstance(error, ReadError)
    assert error.field == "encoding"


@settings(max_examples=30, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_the_reader(text):
    for item in read(text):
        assert isinstance(item, ParsedObject)


def _report(size: int) -> bytes:
    """A report of about ``size`` bytes, dense with values: a URL, an IP, a phone number, an
    IBAN and an e-mail address in every sentence, all different."""
    sentences, total, n = [], 0, 0
    while total < size:
        n += 1
        sentence = (
            f"The actor used hxxp://evil{n}[.]com/login and 10.{n % 250}.{n % 200}.{n % 100} to phish victims, "
            f"who paid +971 50 123 {n % 10000:04d} into GB29 NWBK 6016 1331 9268 19. Contact ops{n}@evil-pay.com. "
        )
        sentences.append(sentence)
        total += len(sentence)
    return "".join(sentences).encode()


def _cpu(data: bytes) -> float:
    start = time.process_time()
    assert read(data)
    return time.process_time() - start


def test_reading_grows_linearly_with_the_text():
    """Sixteen times the text costs about sixteen times as much, not 256 (each indicator's
    sentence was found by a pass over the text, so 130 KB took a minute and a server worker's
    whole timeout soon after). Compared as a ratio of CPU time, never against a clock."""
    read(_report(2_000))  # the search's one-off set-up is not the text's cost
    small = min(_cpu(_report(8_000)) for _ in range(3))
    large = _cpu(_report(128_000))
    assert large / small < 16 * 3, (small, large)
