from emotune.sampling.ismote import ISMOTE
from emotune.sampling.pipeline import TrainResampler
from emotune.sampling.random_oversample import RandomOversampler
from emotune.sampling.undersample import MajorityUndersampler

__all__ = ["ISMOTE", "MajorityUndersampler", "RandomOversampler", "TrainResampler"]
