"""Sums up the report test_accessibility.py writes (SANAD_A11Y_REPORT): one
line per page and language with its violations by impact, then each rule
found with its elements. `.ci/browser` prints it after the browser tests.

Usage: python tests/e2e/axe_summary.py <report.json | folder>
"""

import json
import sys
from pathlib import Path

IMPACTS = ["critical", "serious", "moderate", "minor"]


def summary(report: dict) -> list[str]:
    lines = [f"-- axe-core {report.get('axe', '?')} ({', '.join(report.get('tags', []))})"]
    found = []
    for language, pages in report.get("pages", {}).items():
        for key, page in pages.items():
            counts = page["counts"]
            shown = ", ".join(f"{counts[impact]} {impact}" for impact in IMPACTS if counts[impact])
            lines.append(f"   {language}  {key:<26} {shown or 'no violation'}")
            for violation in page["violations"]:
                targets = "; ".join(node["target"] for node in violation["nodes"])
                found.append(
                    f"   {language}  {key}: {violation['id']} ({violation['impact']}) {targets}"
                )
    if found:
        lines.append("-- violations:")
        lines += found
    return lines


def main(argument: str) -> int:
    path = Path(argument)
    if path.suffix != ".json":
        path = path / "axe-report.json"
    if not path.is_file():
        print(f"-- no accessibility report at {path}")
        return 0
    print("\n".join(summary(json.loads(path.read_text(encoding="utf-8")))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
