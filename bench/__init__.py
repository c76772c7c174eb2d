"""`make bench`: the budgets of DESIGN.md section 7, each measured as a ratio against a baseline
run side by side in the same process tree, so the noise of the machine cancels out."""
