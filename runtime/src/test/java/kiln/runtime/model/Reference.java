package kiln.runtime.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.testing.Fixtures;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the fixtures' reference logits files (results/logits/*.json). */
record Reference(int[] promptIds, float[] lastLogits, int[] greedy) {

    static Reference read(String rel) {
        try {
            JsonNode n = new ObjectMapper().readTree(Fixtures.file(rel).toFile());
            return new Reference(ints(n.get("token_ids")), floats(n.get("last_logits")), ints(n.get("greedy_new_token_ids")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(String rel) {
        try {
            return Files.readString(Fixtures.file(rel));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    static float[] floats(JsonNode a) {
        float[] r = new float[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = (float) a.get(i).asDouble();
        return r;
    }

    /** Max |Δ log-softmax| between two logit vectors (shift-invariant, like the MANIFEST's numbers). */
    static double maxLogprobDiff(float[] a, float[] b) {
        double[] la = logSoftmax(a), lb = logSoftmax(b);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(la[i] - lb[i]));
        return m;
    }

    static double[] logSoftmax(float[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (float f : v) max = Math.max(max, f);
        double s = 0;
        for (float f : v) s += Math.exp(f - max);
        double ls = Math.log(s);
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = v[i] - max - ls;
        return r;
    }
}
