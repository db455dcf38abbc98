"""Capture from Hugging Face transformers (``pip install ./python[hf]``): ``strata.hf.capture(model,
tokenizer, texts, out, …)`` writes a Strata dataset of every real token's hidden states, as
``strata capture`` does for a GGUF model — on CPU or a GPU.

    from transformers import AutoModelForCausalLM, AutoTokenizer
    import strata.hf
    model = AutoModelForCausalLM.from_pretrained(name, dtype=torch.bfloat16).to("cuda")
    tokenizer = AutoTokenizer.from_pretrained(name)
    strata.hf.capture(model, tokenizer, texts, "caps/", labels=labels, batch_size=16)
"""
from .capture import LOG_PROBS_NAME, capture
from .identity import model_identity, tokenizer_identity

__all__ = ["capture", "model_identity", "tokenizer_identity", "LOG_PROBS_NAME"]
