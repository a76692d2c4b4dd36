"""Reports for assurance: the organisation report (PDF), the assurance agenda (DOCX/HTML) and
the bulk command that produces them for every organisation of a round.

Builders take the round's analysis table (already suppressed) and plain round facts, and
return bytes (style.md section 8); the command and routes wrap them.
"""
