"""`nntrain report`: a run's or a sweep's course report, as Markdown with PNG images
beside it or as one self-contained HTML file.

content (the facts, no matplotlib, no Textual) -> figures (PNG bytes) -> document
(headings, paragraphs, tables, images) -> markdown / html (text) -> output (the files,
written atomically, all or nothing).
"""
