package kiln.runtime.eval;

/** The per-position arithmetic of llama-perplexity (log-softmax, its 16-bit log-probability records, KL divergence). */
final class LogProbs {
    private LogProbs() {}

    /** Values per position in a logits file: 2·⌈vocab/2⌉ uint16 + 4 (two floats: scale, min log-prob). */
    static int recordShorts(int nVocab) {
        return 2 * ((nVocab + 1) / 2) + 4;
    }

    /** −log p(tok), computed as llama-perplexity (max, Σ exp in double, log_sum_exp rounded to float). */
    static double nll(float[] logits, int off, int nVocab, int tok) {
        float max = logits[off];
        for (int i = 1; i < nVocab; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < nVocab; i++) sum += (float) Math.exp(logits[off + i] - max);
        float lse = (float) Math.log(sum);
        return (double) max + lse - logits[off + tok];
    }

    /** Encodes the position's log-probabilities into rec[ro..ro+recordShorts) and returns −log p(tok). */
    static double encode(float[] logits, int off, int nVocab, int tok, short[] rec, int ro) {
        float max = logits[off], min = logits[off];
        for (int i = 1; i < nVocab; i++) {
            max = Math.max(max, logits[off + i]);
            min = Math.min(min, logits[off + i]);
        }
        min = Math.max(min, max - 16);
        double sum = 0;
        for (int i = 0; i < nVocab; i++) sum += (float) Math.exp(logits[off + i] - max);
        float lse = (float) Math.log(sum);
        float minLogProb = min - max - lse;
        float scale = (max - min) / 65535.f;
        int sb = Float.floatToRawIntBits(scale), mb = Float.floatToRawIntBits(minLogProb);
        rec[ro] = (short) sb;
        rec[ro + 1] = (short) (sb >>> 16);
        rec[ro + 2] = (short) mb;
        rec[ro + 3] = (short) (mb >>> 16);
        if (scale != 0) {
            float inv = 1 / scale;
            for (int i = 0; i < nVocab; i++) rec[ro + 4 + i] = (short) (logits[off + i] > min ? nearestInt(inv * (logits[off + i] - min)) : 0);
        } else {
            for (int i = 0; i < nVocab; i++) rec[ro + 4 + i] = 0;
        }
        return (double) max + lse - logits[off + tok];
    }

    /** ggml's nearest_int: round half to even via the 1.5·2^23 trick. */
    static int nearestInt(float f) {
        float v = f + 12582912.f;
        return (Float.floatToRawIntBits(v) & 0x007fffff) - 0x00400000;
    }

    /** Accumulates the KL divergence of logits against a base record, as llama-perplexity's kl_divergence. */
    static void kld(float[] logits, int off, int nVocab, short[] rec, int ro, int tok, KldStats s) {
        float max = logits[off];
        int imax = 0;
        for (int i = 1; i < nVocab; i++) {
            if (logits[off + i] > max) {
                max = logits[off + i];
                imax = i;
            }
        }
        double sumExp = 0;
        for (int i = 0; i < nVocab; i++) sumExp += (float) Math.exp(logits[off + i] - max);
        float lse = (float) Math.log(sumExp);
        float scale = Float.intBitsToFloat((rec[ro] & 0xFFFF) | (rec[ro + 1] << 16));
        float minLogProb = Float.intBitsToFloat((rec[ro + 2] & 0xFFFF) | (rec[ro + 3] << 16));
        float nll = max + lse - logits[off + tok];
        float nllBase = -(scale * (rec[ro + 4 + tok] & 0xFFFF) + minLogProb);
        s.sumNll += nll;
        s.sumNll2 += (double) nll * nll;
        s.sumNllBase += nllBase;
        s.sumNllBase2 += (double) nllBase * nllBase;
        s.sumNllNllBase += (double) nll * nllBase;
        float top = max + lse;
        double sum = 0;
        int imaxBase = -1;
        float pMax = 0;
        for (int i = 0; i < nVocab; i++) {
            float pl = scale * (rec[ro + 4 + i] & 0xFFFF) + minLogProb;
            if (i == 0 || pl > pMax) {
                pMax = pl;
                imaxBase = i;
            }
            if (pl > -16.f) sum += (float) Math.exp(pl) * (pl - logits[off + i] + top);
        }
        s.sumKld += sum;
        s.sumKld2 += sum * sum;
        s.count++;
        if (imax == imaxBase) s.sameTop++;
        float pDiff = (float) Math.exp(-nll) - (float) Math.exp(-nllBase);
        s.sumPDiff += pDiff;
        s.sumPDiff2 += (double) pDiff * pDiff;
        s.maxPDiff = Math.max(s.maxPDiff, Math.abs(pDiff));
    }
}
