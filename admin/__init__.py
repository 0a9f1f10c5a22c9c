"""The administration front: a hall's set-up (/admin/{hall}), the list of halls (/admin) and the
district's live overview (/district)."""
