"""A throw-away SMTP server for Argos's tests (run by argos_testkit::smtp, not by hand).

Listens on 127.0.0.1 (a free port, printed on the first line of stdout once listening) and
saves each message it accepts as a directory `msg-NNNN` under --dir, written whole before
the server answers 250 (so a client that got its 250 finds the files):
  envelope   MAIL FROM on the first line, then one RCPT TO per line
  session    `tls=yes|no` and `login=<the AUTH login, if any>`
  raw.eml    the message as received
  headers    `Name: value` per line, decoded (RFC 2047) and unfolded
  parts      the content type of each leaf MIME part, one per line, in order
  part-N     part N's content, decoded (transfer encoding and charset), LF line ends
Exits when its stdin closes, so it never outlives the test process.
"""

import argparse
import asyncio
import email
import email.policy
import logging
import os
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Saver:
    def __init__(self, out, implicit_tls):
        self.out = out
        self.implicit_tls = implicit_tls
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        tmp = os.path.join(self.out, f".tmp-{self.count:04}")
        os.mkdir(tmp)
        raw = envelope.original_content or envelope.content

        def write(name, text):
            with open(os.path.join(tmp, name), "w", encoding="utf-8", newline="") as f:
                f.write(text)

        write("envelope", "\n".join([envelope.mail_from, *envelope.rcpt_tos]) + "\n")
        login = ""
        if isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode()
        tls = session.ssl is not None or self.implicit_tls
        write("session", f"tls={'yes' if tls else 'no'}\nlogin={login}\n")
        with open(os.path.join(tmp, "raw.eml"), "wb") as f:
            f.write(raw)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        headers = [f"{k}: {' '.join(str(v).split())}" for k, v in message.items()]
        write("headers", "\n".join(headers) + "\n")
        types = []
        for part in message.walk():
            if part.is_multipart():
                continue
            content = part.get_content()
            if isinstance(content, bytes):
                content = content.decode("utf-8", "replace")
            write(f"part-{len(types)}", content.replace("\r\n", "\n"))
            types.append(part.get_content_type())
        write("parts", "\n".join(types) + "\n")
        # The rename makes the message appear whole to a reader.
        os.rename(tmp, os.path.join(self.out, f"msg-{self.count:04}"))
        return "250 OK: saved"


class Checker:
    """Accepts one login and password (PLAIN or LOGIN); anything else gets a 535."""

    def __init__(self, login, password):
        self.login = login.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.login
            and auth_data.password == self.password
        )
        if ok:
            return AuthResult(success=True, auth_data=auth_data)
        # Not handled here: aiosmtpd answers 535 itself.
        return AuthResult(success=False, handled=False)


def main():
    # aiosmtpd warns about its own deprecated attributes on every login: noise in test output.
    warnings.simplefilter("ignore", DeprecationWarning)
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--mode", choices=["plain", "starttls", "implicit"], default="plain")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--login")
    p.add_argument("--password")
    a = p.parse_args()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    context = None
    if a.mode != "plain":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(a.cert, a.key)
    # A fixed hostname: the default looks the machine's FQDN up in DNS.
    kwargs = {"hostname": "argos-test-smtp"}
    if a.mode == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    if a.login is not None:
        kwargs.update(
            authenticator=Checker(a.login, a.password or ""),
            auth_required=True,
            # aiosmtpd cannot tell that an implicit-TLS connection is encrypted.
            auth_require_tls=a.mode != "implicit",
        )
    saver = Saver(a.dir, a.mode == "implicit")
    implicit = context if a.mode == "implicit" else None
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SMTP(saver, loop=loop, **kwargs), "127.0.0.1", 0, ssl=implicit
        )
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    loop.add_reader(sys.stdin.fileno(), loop.stop)
    loop.run_forever()


if __name__ == "__main__":
    main()
