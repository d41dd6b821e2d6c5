"""The steps a command runs, top of the import graph: preflight, train, finish (save, score, card) and evaluate;
the config's instantiation helpers and Hydra callbacks. Nothing below imports from here."""
