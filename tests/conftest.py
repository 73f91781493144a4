"""Load the Hypothesis profile named by CROSSCHECK_PROFILE (ci under CI, else dev)."""
from crosscheck import profiles

profiles.load()
