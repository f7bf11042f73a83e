"""E-mail for the embedded mode: printed to the console in readable Japanese.

Django's console backend prints the raw MIME message, where Japanese bodies are base64 and
subjects are encoded words. This one prints the decoded headers and the plain-text body, so a
newcomer running `make run` can read the verification link in the terminal.
"""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class ReadableConsoleBackend(ConsoleBackend):
    def write_message(self, message):
        lines = [
            f"From: {message.from_email}",
            f"To: {', '.join(message.to)}",
            f"Subject: {message.subject}",
        ]
        if message.cc:
            lines.append(f"Cc: {', '.join(message.cc)}")
        self.stream.write("\n".join(lines) + "\n\n" + str(message.body).rstrip() + "\n")
        for alternative in getattr(message, "alternatives", []) or []:
            mimetype = getattr(alternative, "mimetype", None) or alternative[1]
            self.stream.write(f"[{mimetype} version attached]\n")
        for attachment in message.attachments:
            name = getattr(attachment, "filename", None) or (attachment[0] if isinstance(attachment, tuple) else "")
            self.stream.write(f"[attachment: {name}]\n")
        self.stream.write("-" * 79 + "\n")
