"""Decision letters as PDF: rendering (pdf.py), the content-addressed store (blobs.py), issuing (issue.py)."""
