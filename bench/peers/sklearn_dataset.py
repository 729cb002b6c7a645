"""Writes one of scikit-learn's bundled datasets (no download) as a CSV with a header, the class
as text ('class_3') so every reader takes it for a label: the generalisation sets of
bench/automl.ts, data neither Lepton's defaults nor its tuner were ever looked at on.
  sklearn_dataset.py NAME OUT.csv      NAME: digits | wine"""
import sys

from sklearn import datasets

name, out = sys.argv[1], sys.argv[2]
frame = {"digits": datasets.load_digits, "wine": datasets.load_wine}[name](as_frame=True).frame
frame["target"] = "class_" + frame["target"].astype(str)
frame.to_csv(out, index=False)
