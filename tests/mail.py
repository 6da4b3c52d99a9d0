"""Reading the mails the test SMTP server (conftest's `smtp_server`) received."""

from email.header import decode_header, make_header


def subject_of(message):
    return str(make_header(decode_header(message["Subject"])))


def body_of(message):
    return message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
