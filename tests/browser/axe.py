"""The automatic accessibility check (axe-core in the page) shared by the browser tests."""

SERIOUS = {"serious", "critical"}


def serious_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
