"""`nntrain report RUN_OR_SWEEP -o report.md|report.html`: the course report of a run
(config, curves, early-stopping point, confusion matrix, diagnostics) or of a sweep
(the hidden-units table and the runs' valid curves)."""

from __future__ import annotations

import argparse


def run(args: argparse.Namespace) -> int:
    from ..plotting import require_matplotlib
    from ..report import document, html, markdown, output
    from ..report.content import RunFacts, gather
    from ..report.figures import run_figures, sweep_figures

    # Every refusal comes before anything is read or written.
    out = output.check_output(args.output)
    require_matplotlib()
    facts = gather(args.source)
    if isinstance(facts, RunFacts):
        title, blocks = document.run_document(facts)
        images = run_figures(facts)
    else:
        title, blocks = document.sweep_document(facts)
        images = sweep_figures(facts)
    if out.suffix.lower() == ".html":
        output.write_html(out, html.render(title, blocks, images))
        where = "images embedded"
    else:
        folder = output.images_dir(out)
        output.write_markdown(out, markdown.render(title, blocks, folder.name), images)
        where = f"images in {folder}"
    note = f"; {facts.confusion_note}" if isinstance(facts, RunFacts) and facts.confusion_note else ""
    print(f"wrote {out} ({title}; {len(images)} figure{'s' * (len(images) != 1)}, {where}){note}")
    return 0
