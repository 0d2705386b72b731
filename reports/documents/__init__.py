"""The PDF documents Sanad prints: each module gathers its data through the
scoped selectors (as the actor) and renders one template extending
``reports/print_base.html`` with ``reports.pdf.render_pdf``."""
