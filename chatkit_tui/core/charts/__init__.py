"""Charts as text (:mod:`.draw`) and the insights figures drawn with them
(:mod:`.insights`): one drawing for the app's screen and the ``insights --svg`` picture."""
