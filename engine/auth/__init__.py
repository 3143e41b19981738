"""Who is asking and what they may do: tokens, API keys, arborist-style policies, tiered access.

Routes call `principal(request)` (engine/auth/principal.py) and ask the
`Principal` it returns; everything else here serves that answer.
"""
