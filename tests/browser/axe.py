"""axe-core accessibility check for a Playwright page (axe-core from node_modules, pinned in package.json)."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.1 A/AA plus axe's best practices; rules listed here are switched off with a reason.
DEFAULT_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def axe_results(page, *, context=None, tags=None, disable=()) -> dict:
    """Run axe on the current page and return its raw results."""
    if not AXE_JS.exists():
        raise RuntimeError(f"{AXE_JS} is missing: run `make install` (it runs `npm ci`).")
    # add_script_tag would be blocked by the page's CSP (nonces); evaluate runs outside it.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;void 0;")
    options = {"runOnly": {"type": "tag", "values": list(tags or DEFAULT_TAGS)}, "resultTypes": ["violations"]}
    if disable:
        options["rules"] = {rule: {"enabled": False} for rule in disable}
    return page.evaluate(
        "([context, options]) => window.axe.run(context || document, options)",
        [context, options],
    )


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:10]:
            target = " ".join(json.dumps(t, ensure_ascii=False) for t in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node['html'][:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n         ")
            if summary:
                lines.append(f"         {summary}")
        if len(v["nodes"]) > 10:
            lines.append(f"    ... and {len(v['nodes']) - 10} more")
    return "\n".join(lines)


def axe_check(page, *, context=None, tags=None, disable=()) -> None:
    """Assert that the current page has no axe violations; list them readably if it has."""
    violations = axe_results(page, context=context, tags=tags, disable=disable)["violations"]
    if violations:
        report = format_violations(violations)
        print(f"axe violations on {page.url}:\n{report}")
        raise AssertionError(f"{len(violations)} accessibility violation(s) on {page.url}:\n{report}")
