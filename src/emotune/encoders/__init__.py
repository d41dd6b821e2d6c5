from emotune.encoders.cache import EmbeddingCache
from emotune.encoders.lsa import LsaEncoder
from emotune.encoders.sentence_transformer import SentenceTransformerEncoder

__all__ = ["EmbeddingCache", "LsaEncoder", "SentenceTransformerEncoder"]
