"""The domain: every service the web pages, the commands and the mail worker call.

Services take model objects, plain data and the acting person (an ``audit.Actor``) explicitly,
never ``request``, ``session``, ``g`` or ``current_user``; they ``flush()`` and never commit:
the request or command that calls them commits once (``survey.transactions``).
"""
