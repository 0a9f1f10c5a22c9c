"""The clerk's counter app (/counter/{hall}/{number}) and the rating tablet facing the visitor (…/rate)."""
