"""The loop: alert rules, Andon holds, cases and their delivery; initiatives, cards, stars and metric
integrity — pure functions over tables and arrays.

Nothing here opens the database; `cxloop.app` stores what these functions find.
"""
