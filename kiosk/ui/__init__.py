"""Drawing: theme, fonts, pictograms and widgets."""
