#!/usr/bin/env python3
"""Records ik_llama.cpp's per-tensor type choice (llama-quantize --dry-run) for IkTypeChoiceTest.

usage: make-references.py IK_BIN_DIR FIXTURES_DIR OUT_DIR SYNTH_DIR
SYNTH_DIR holds synth-{gqa4,moe4,qkv}.gguf written by SyntheticGguf's main (test sources); no imatrix for them.
Writes OUT_DIR/<model>.txt: one line per run, "ARGS | t1 t2 ..." (the types in file order, as the dry run's
"converting to T" or the tensor's own type) or "ARGS | error: MESSAGE" (llama-quantize's failure line).
ARGS are llama-quantize's arguments after --dry-run, with IMATRIX for the fixture imatrix; the input and
output file come before the ftype (the last word of ARGS).
"""
import hashlib, os, re, subprocess, sys

BIN, FIX, OUT, SYNTH = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
MODELS = {
    "tiny-deepseek": ("tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "tiny-deepseek/ik/tiny-deepseek.imatrix"),
    "tiny-llama": ("tiny-llama/mainline/tiny-llama-bf16.gguf", "tiny-llama/ik/tiny-llama.imatrix"),
    "synth-gqa4": (None, None), "synth-moe4": (None, None), "synth-qkv": (None, None),
}

def ftypes():
    src = open(BIN + "/../../examples/quantize/quantize.cpp").read()
    return re.findall(r'\{ "([A-Z0-9_]+)",\s+LLAMA_FTYPE_', src)

CLASS_OPTIONS = ["--attn-q-type", "--attn-k-type", "--attn-v-type", "--attn-qkv-type", "--attn-output-type",
                 "--ffn-gate-type", "--ffn-down-type", "--ffn-up-type"]
CLASS_FTYPES = ["Q4_K_M", "Q2_K", "IQ2_XXS", "IQ2_KS", "IQ1_S_R4", "IQ2_KT", "IQ3_XXS", "IQ3_K", "IQ4_KS_R4", "Q8_0"]

def mla_imatrix(path):
    """ik's legacy imatrix with blk.0.attn_kv_b and blk.1.attn_v_b only (all ones): each MLA tensor finds the other."""
    import struct
    entries = [("blk.0.attn_kv_b.weight", 256), ("blk.1.attn_v_b.weight", 256)]
    b = struct.pack("<i", len(entries))
    for name, n in entries:
        b += struct.pack("<i", len(name)) + name.encode() + struct.pack("<ii", 1, n) + struct.pack("<%df" % n, *([1.0] * n))
    b += struct.pack("<ii", 1, 8) + b"mla-test"
    open(path, "wb").write(b)

def runs(model):
    for r in all_runs(model):
        if MODELS[model][1] is None:
            if len(r) > 2 or (len(r) == 2 and r[0] != "--ignore-imatrix-rules"):
                continue  # the synthetic shapes are there for the mixes' own rules: plain ftype runs only
            if "MLAIMATRIX" in r or (r[:2] == ["--imatrix", "IMATRIX"] and r[2:3] != ["--ignore-imatrix-rules"]):
                continue
            if r[:2] == ["--imatrix", "IMATRIX"]:
                r = r[2:]
        yield r

def all_runs(model):
    for f in ftypes():
        yield ["--imatrix", "IMATRIX", f]
        yield [f]
    for f in ftypes():
        yield ["--ignore-imatrix-rules", f]
    # with --ignore-imatrix-rules so that the very-low-bit mixes get a type list on both models
    im = ["--imatrix", "IMATRIX", "--ignore-imatrix-rules"]
    for o in CLASS_OPTIONS:
        for f in CLASS_FTYPES:
            yield im + [o, "q6_0", f]
    for f in ["Q4_K_M", "IQ3_XS", "IQ3_KL", "Q8_0", "IQ2_KT"]:
        yield im + ["--ffn-gate-inp-type", "q8_0", f]
        yield im + ["--ffn-gate-inp-type", "q8_0", "--ffn-gate-type", "q6_0", f]
    yield ["--ffn-gate-inp-type", "f32", "Q4_K_M"]
    for f in ["Q4_K_M", "IQ2_K_R4", "IQ1_S_R4"]:
        yield im + ["--custom-q", "exps=q4_K,attn=q8_0", f]
        yield im + ["--custom-q", "ffn_down=iq4_ks_r4,token_embd=q4_k_r4,output=q8_k_r8", f]
        yield im + ["--custom-q", "attn_k_b=q4_K,attn_v=iq2_xxs", f]
        yield im + ["--attn-k-type", "q6_0", "--custom-q", "attn_k=q8_0_r8", f]
    yield ["--custom-q", ".=q8_k_r8", "Q4_K_M"]
    yield ["--custom-q", "ffn_up=iq1_s", "Q4_K_M"]
    yield ["--ignore-imatrix-rules", "--custom-q", "ffn_up=iq1_s", "Q4_K_M"]
    # ik's imatrix fallbacks: ffn_gate -> ffn_up, ffn_gate_exps -> ffn_gate_up_exps -> ffn_up_exps, attn_v_b <-> attn_kv_b
    # (the fixture imatrix of tiny-deepseek has no ffn_gate_exps, attn_kv_b, attn_v_b, attn_k_b entries)
    keep_v_b = ["--custom-q", "attn_v_b=q8_0"] if model == "tiny-deepseek" else []
    yield ["--imatrix", "IMATRIX"] + keep_v_b + ["IQ2_XXS"]
    yield ["--imatrix", "IMATRIX", "--exclude-weights", "ffn_gate"] + keep_v_b + ["IQ2_XXS"]
    yield ["--imatrix", "IMATRIX", "--exclude-weights", "ffn_up"] + keep_v_b + ["IQ2_XXS"]
    yield ["--imatrix", "IMATRIX", "--include-weights", "blk.0."] + keep_v_b + ["IQ2_XXS"]
    if model == "tiny-deepseek":
        yield ["--imatrix", "MLAIMATRIX", "--custom-q", "attn_kv_b=iq2_xxs,attn_v_b=iq2_xxs,.=q8_0", "Q8_0"]
    for f in ["Q4_K_M", "IQ2_XXS_R4", "Q8_K_R8", "IQ1_M_R4"]:
        yield im + ["--pure", f]
        yield im + ["--output-tensor-type", "q4_k_r4", "--token-embedding-type", "iq4_xs_r8", f]
        yield im + ["--leave-output-tensor", f]

def run(model, args):
    gguf, imat = MODELS[model]
    gguf = FIX + "/" + gguf if gguf else SYNTH + "/" + model + ".gguf"
    a = [FIX + "/" + imat if x == "IMATRIX" else OUT + "/mla.imatrix" if x == "MLAIMATRIX" else x for x in args]
    cmd = [BIN + "/llama-quantize", "--dry-run"] + a[:-1] + [gguf, "/tmp/ref-ikmix/unused.gguf", a[-1]]
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    err = p.stderr
    if p.returncode != 0:
        m = re.search(r"failed to quantize: (.*)", err)
        if m:
            return "error: " + m.group(1).strip()
        m = re.search(r"(Please do not use [^\n]*)", err)
        if m:
            return "error: " + m.group(1).strip()
        raise SystemExit("unexpected failure of %s:\n%s" % (cmd, err[-2000:]))
    names, types = [], []
    for m in re.finditer(r"\[ *\d+/ *\d+\] +(\S+) - \[[^\]]*\], type = +(\S+), (.*?)(?:size =)", err, re.S):
        names.append(m.group(1))
        conv = re.search(r"converting to (\S+) \.\.", m.group(3))
        types.append(conv.group(1) if conv else m.group(2))
    return names, types

def main():
    mla_imatrix(OUT + "/mla.imatrix")
    commit = subprocess.run(["git", "-C", BIN + "/../..", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    for model in MODELS:
        gguf, imat = MODELS[model]
        lines, tensors, plain = [], None, {}
        for args in runs(model):
            r = run(model, args)
            if len(args) == 1:
                plain[args[0]] = r
            if len(args) == 2 and args[0] == "--ignore-imatrix-rules" and plain.get(args[1]) == r:
                continue  # recorded only where the rule changed the outcome
            if isinstance(r, str):
                lines.append(" ".join(args) + " | " + r)
            else:
                names, types = r
                if tensors is None:
                    tensors = names
                assert names == tensors, args
                lines.append(" ".join(args) + " | " + " ".join(types))
        with open(OUT + "/" + model + ".txt", "w") as f:
            f.write("# ik_llama.cpp's tensor type choice, recorded by make-references.py (this folder)\n")
            f.write("# tool: ik_llama.cpp %s, build/bin/llama-quantize (CPU build)\n" % commit)
            f.write("# command per line: llama-quantize --dry-run ARGS-without-last IN /tmp/ref-ikmix/unused.gguf FTYPE\n")
            if gguf:
                f.write("# IN = fixtures/%s, IMATRIX = fixtures/%s, MLAIMATRIX = the file mla_imatrix() writes (sha256 below)\n" % (gguf, imat))
            else:
                f.write("# IN = SyntheticGguf.write(\"%s\") (sha256 below), no imatrix\n" % model[6:])
                f.write("synthetic-sha256: " + hashlib.sha256(open(SYNTH + "/" + model + ".gguf", "rb").read()).hexdigest() + "\n")
            f.write("# each line: ARGS | the types in file order (\"converting to T\", else the tensor's own type) or error: MESSAGE\n")
            f.write("mla-imatrix-sha256: " + hashlib.sha256(open(OUT + "/mla.imatrix", "rb").read()).hexdigest() + "\n")
            f.write("tensors: " + " ".join(tensors) + "\n")
            for l in lines:
                f.write(l + "\n")
    os.remove(OUT + "/mla.imatrix")

main()
