#!/usr/bin/env python3
"""Writes a random-weight DeepSeek-V3-style bf16 checkpoint (a few GB) for `kiln convert` benchmarks.

usage: synth_deepseek.py OUT_DIR [--tokenizer-from DIR] [--layers 8] [--experts 16] [--hidden 2048] [--moe-ff 1536]
Needs only numpy. The tokenizer files are copied from an existing model folder (e.g. the tiny-deepseek fixture, vocab 1024).
"""
import argparse, json, os, shutil, struct
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--tokenizer-from", default="../shared/fixtures/tiny-deepseek/hf")
p.add_argument("--layers", type=int, default=8)
p.add_argument("--experts", type=int, default=16)
p.add_argument("--hidden", type=int, default=2048)
p.add_argument("--moe-ff", type=int, default=1536)
a = p.parse_args()
H, L, E, F = a.hidden, a.layers, a.experts, a.moe_ff
heads, nope, rope, v, qlora, kvlora, vocab, ff = 16, 64, 32, 64, 512, 256, 1024, 4096
cfg = json.load(open(os.path.join(a.tokenizer_from, "config.json")))
cfg.update(hidden_size=H, num_hidden_layers=L, n_routed_experts=E, moe_intermediate_size=F, intermediate_size=ff,
           num_attention_heads=heads, num_key_value_heads=heads, q_lora_rank=qlora, kv_lora_rank=kvlora,
           qk_nope_head_dim=nope, qk_rope_head_dim=rope, v_head_dim=v, vocab_size=vocab, first_k_dense_replace=1,
           n_group=2, topk_group=1, num_experts_per_tok=2)
os.makedirs(a.out, exist_ok=True)
json.dump(cfg, open(os.path.join(a.out, "config.json"), "w"), indent=2)
for f in ("tokenizer.json", "tokenizer_config.json"):
    shutil.copy(os.path.join(a.tokenizer_from, f), a.out)

rng = np.random.default_rng(1)
def bf16(shape):
    n = int(np.prod(shape))
    exp = rng.integers(118, 126, n, dtype=np.uint16) << 7
    return (exp | rng.integers(0, 128, n, dtype=np.uint16) | (rng.integers(0, 2, n, dtype=np.uint16) << 15)).tobytes()

def shapes(l):
    b = f"model.layers.{l}."
    yield b + "input_layernorm.weight", (H,)
    yield b + "post_attention_layernorm.weight", (H,)
    yield b + "self_attn.q_a_proj.weight", (qlora, H)
    yield b + "self_attn.q_a_layernorm.weight", (qlora,)
    yield b + "self_attn.q_b_proj.weight", (heads * (nope + rope), qlora)
    yield b + "self_attn.kv_a_proj_with_mqa.weight", (kvlora + rope, H)
    yield b + "self_attn.kv_a_layernorm.weight", (kvlora,)
    yield b + "self_attn.kv_b_proj.weight", (heads * (nope + v), kvlora)
    yield b + "self_attn.o_proj.weight", (H, heads * v)
    if l == 0:
        for w, s in (("gate_proj", (ff, H)), ("up_proj", (ff, H)), ("down_proj", (H, ff))):
            yield b + "mlp." + w + ".weight", s
    else:
        yield b + "mlp.gate.weight", (E, H)
        for x in range(E):
            for w, s in (("gate_proj", (F, H)), ("up_proj", (F, H)), ("down_proj", (H, F))):
                yield b + f"mlp.experts.{x}.{w}.weight", s
        for w, s in (("gate_proj", (F, H)), ("up_proj", (F, H)), ("down_proj", (H, F))):
            yield b + "mlp.shared_experts." + w + ".weight", s

def write(path, items):
    header, off = {}, 0
    for n, s in items:
        nb = 2 * int(np.prod(s))
        header[n] = {"dtype": "BF16", "shape": list(s), "data_offsets": [off, off + nb]}
        off += nb
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for n, s in items:
            f.write(bf16(s))

parts = [[("model.embed_tokens.weight", (vocab, H)), ("model.norm.weight", (H,)), ("lm_head.weight", (vocab, H))]]
for l in range(L):
    parts.append(list(shapes(l)))
weight_map = {}
for i, items in enumerate(parts):
    name = f"model-{i + 1:05d}-of-{len(parts):05d}.safetensors"
    write(os.path.join(a.out, name), items)
    for n, _ in items:
        weight_map[n] = name
json.dump({"metadata": {}, "weight_map": weight_map}, open(os.path.join(a.out, "model.safetensors.index.json"), "w"))
