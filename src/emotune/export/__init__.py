"""Exports of a trained run into the formats other tools load: a transformers folder (`hf`) and an ONNX graph
(`onnx`), each finished with the config, tokenizer and model card that go with it."""
