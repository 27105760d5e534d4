"""report.html: the class report (to be completed: plots, pass rates, misconceptions)."""

import html


def write_report(path, results):
    rows = "".join(f"<tr><td>{html.escape(r.id)}</td><td>{r.score:g}/{r.max_score}</td></tr>"
                   for r in results)
    path.write_text(f"<!doctype html><meta charset=utf-8><title>Class report</title>"
                    f"<table>{rows}</table>")
