"""Study: thesis Ch. 5 of seed 001 (Chen 2017): visualisation by gradient ascent, and Fig. 7.1."""
