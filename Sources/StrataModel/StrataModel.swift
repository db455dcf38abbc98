// StrataModel: GGUF reader, tokenizer, Llama-family forward pass, hidden-state taps.
import CBLAS
