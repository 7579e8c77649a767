"""A gallery of healthy programs written the way the Keras guides write them (issue 15)."""
