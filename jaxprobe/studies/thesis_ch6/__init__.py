"""Study: thesis Ch. 6."""
