"""Container health check: `python -m kumagaya_portal.healthcheck` exits 0 when /healthz answers 200.

Asks the local gunicorn as the proxy would: with the site's own host name (ALLOWED_HOSTS) and
X-Forwarded-Proto: https, so neither host validation nor the HTTPS redirect gets in the way.
"""

import os
import sys
import urllib.request


def main() -> int:
    host = next((h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()), "")
    port = os.environ.get("PORT", "8000")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz",
        headers={"Host": host or "localhost", "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 - fixed local URL
            return 0 if response.status == 200 else 1
    except Exception as exc:  # noqa: BLE001
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
