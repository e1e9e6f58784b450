"""`make bench`: the deck's builds against marp-cli alone (decks.py) and zerodl's training against a textbook baseline
(training.py). Project-side measurements, kept out of the engine."""
