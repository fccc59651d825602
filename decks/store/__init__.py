"""The card store's SQL, one module per area; `decks.repository.CardStore` joins them.

base (the connection), presets, decks (tree, counts, free recall), notes (notes and their
cards), cards (bulk edits, per-transcript lookups), reviews (the review log), search (the
queue's and the browser's queries); rows and values hold what the areas share.
"""
