"""Custom actions with side effects would live here (run by ``rasa_sdk``). There are none: every
reply, the router's included, is decided inside the Rasa server (bot/dialogue/), and answer votes
are stored as the visitor's own events, so ``make run`` starts a single process."""
