"""A run dir as an object: its files are the truth. `emotune.run.loader.load_run` is the one way to get a trained
model back; `emotune.run.files` names the files and checks them without importing the model code."""
