"""The guide's desk (导办台, /guide/{hall}): a tablet used standing at the hall's entrance to take a
number for a visitor, send them to 代办, record a consultation and look up a case."""
