"""What .ci/static says when `pip-audit --strict` did not pass cleanly.

--strict stops at the first package it cannot look up, so .ci/static runs
pip-audit again without it, as JSON, and this reads that second run:

- a known vulnerability in any package it could look up: FAILED (exit 1);
- the service unreachable (a connection error, no JSON) or knowing none of the
  packages: "pip-audit: NOT CHECKED — could not reach <service>: <reason>"
  (exit 0: CI goes on, but nothing is claimed);
- some packages looked up, some not: the clean ones counted, each package not
  checked named with its reason (exit 0);
- pip-audit failing for any other reason: FAILED (exit 1).

"No known vulnerabilities" is never said of a package that was not looked up.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

SERVICES = {
    "pypi": "PyPI's vulnerability data (https://pypi.org/pypi/<name>/<version>/json)",
    "osv": "OSV (the OSV API)",
    "esms": "ESMS",
}
# Tracebacks and messages that mean the service could not be asked or did not answer.
UNREACHABLE = (
    "requests.exceptions.",
    "urllib3.exceptions.",
    "ConnectionError",
    "Could not connect to",
    "is not redirecting properly",
    "your network may be blocking",
    "ServiceError",
)
RULE = "!" * 78
# "requests.exceptions.HTTPError: 503 Server Error: …"
EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout): ")


def loud(*lines: str) -> None:
    print(RULE)
    for line in lines:
        print(line)
    print(RULE)


def packages(count: int) -> str:
    return f"{count} package" if count == 1 else f"{count} packages"


def last_line(log: str) -> str:
    """The exception pip-audit ended with, and the last one before it that says
    more than its name (a bare ``ServiceError`` wraps the HTTP error)."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    reason = lines[-1] if lines else "no output"
    if ": " not in reason:
        told = [line for line in lines if EXCEPTION.match(line)]
        if told:
            reason = f"{reason} ({told[-1]})"
    return reason if len(reason) <= 400 else reason[:400] + "…"


def report(service: str, status: int, data: dict | None, log: str) -> int:
    where = SERVICES.get(service, service)
    if data is None:
        reason = last_line(log)
        if any(marker in log for marker in UNREACHABLE):
            loud(f"pip-audit: NOT CHECKED — could not reach {where}: {reason}")
            return 0
        loud(f"pip-audit: FAILED — pip-audit did not finish (exit {status}): {reason}")
        return 1

    dependencies = data.get("dependencies", [])
    skipped = [dep for dep in dependencies if "skip_reason" in dep]
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    vulnerable = [dep for dep in audited if dep.get("vulns")]
    if vulnerable:
        count = sum(len(dep["vulns"]) for dep in vulnerable)
        found = "vulnerability" if count == 1 else "vulnerabilities"
        print(f"pip-audit: {count} known {found} in {packages(len(vulnerable))}:")
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                ids = ", ".join([vuln["id"], *vuln.get("aliases", [])])
                fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
                print(f"  {dep['name']} {dep['version']}: {ids} (fixed in {fixed})")
                if vuln.get("description"):
                    print(f"    {vuln['description'][:300]}")
        if skipped:
            print(f"  (and {packages(len(skipped))} could not be looked up)")
        loud("pip-audit: FAILED — known vulnerabilities above")
        return 1
    if not audited:
        example = skipped[0]["skip_reason"] if skipped else "no packages listed"
        loud(
            f"pip-audit: NOT CHECKED — could not reach {where}: it knew none of the "
            f"{len(skipped)} installed packages (first: {example})"
        )
        return 0
    print(f"pip-audit: no known vulnerabilities in the {packages(len(audited))} looked up.")
    lines = [f"pip-audit: NOT CHECKED — {packages(len(skipped))} not looked up at {where}:"]
    lines += [f"  {dep['name']}: {dep['skip_reason']}" for dep in skipped]
    loud(*lines)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", default="pypi")
    parser.add_argument("--status", type=int, required=True, help="the JSON run's exit status")
    parser.add_argument("--json", type=Path, required=True, help="the JSON run's -o file")
    parser.add_argument("--log", type=Path, required=True, help="the JSON run's stdout and stderr")
    args = parser.parse_args()
    try:
        data = json.loads(args.json.read_text())
    except (OSError, ValueError):
        data = None
    log = args.log.read_text(errors="replace") if args.log.exists() else ""
    return report(args.service, args.status, data, log)


if __name__ == "__main__":
    sys.exit(main())
