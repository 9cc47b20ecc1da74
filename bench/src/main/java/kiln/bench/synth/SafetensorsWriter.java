package kiln.bench.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.Fp16;
import kiln.tensor.KilnException;
import kiln.tensor.Parallel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes random bf16 weights as HuggingFace safetensors shards ({@code model-0000N-of-0000M.safetensors} plus
 * {@code model.safetensors.index.json}), streaming: each tensor is generated in 16 MiB pieces, tensors in parallel,
 * so memory stays bounded whatever the model size. Values are uniform with standard deviation 0.02 (norm weights 1),
 * seeded per tensor name so the output is deterministic for a seed and independent of thread count.
 */
final class SafetensorsWriter {
    private static final long SHARD_BYTES = 4L << 30;
    private static final int PIECE = 8 << 20; // elements

    private SafetensorsWriter() {}

    static long write(Path dir, List<SynthTensor> tensors, long seed, int threads) throws IOException {
        List<List<SynthTensor>> shards = new ArrayList<>();
        List<SynthTensor> cur = new ArrayList<>();
        long curBytes = 0;
        for (SynthTensor t : tensors) {
            long b = t.elements() * 2;
            if (!cur.isEmpty() && curBytes + b > SHARD_BYTES) {
                shards.add(cur);
                cur = new ArrayList<>();
                curBytes = 0;
            }
            cur.add(t);
            curBytes += b;
        }
        shards.add(cur);
        ObjectMapper om = new ObjectMapper();
        Map<String, String> weightMap = new LinkedHashMap<>();
        long total = 0;
        for (int s = 0; s < shards.size(); s++) {
            String file = shards.size() == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            total += writeShard(dir.resolve(file), shards.get(s), seed, threads, om);
            for (SynthTensor t : shards.get(s)) weightMap.put(t.name(), file);
        }
        if (shards.size() > 1) {
            Map<String, Object> index = new LinkedHashMap<>();
            index.put("metadata", Map.of("total_size", total));
            index.put("weight_map", weightMap);
            om.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
        }
        return total;
    }

    private static long writeShard(Path file, List<SynthTensor> tensors, long seed, int threads, ObjectMapper om) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long off = 0;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            SynthTensor t = tensors.get(i);
            long n = t.elements() * 2;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", "BF16");
            e.put("shape", t.shape());
            e.put("data_offsets", new long[]{off, off + n});
            header.put(t.name(), e);
            offsets[i] = off;
            off += n;
        }
        byte[] json = om.writeValueAsBytes(header);
        int padded = (json.length + 7) & ~7;
        byte[] hdr = new byte[8 + padded];
        ByteBuffer.wrap(hdr).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        System.arraycopy(json, 0, hdr, 8, json.length);
        for (int i = 8 + json.length; i < hdr.length; i++) hdr[i] = ' ';
        long base = hdr.length;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeFully(ch, ByteBuffer.wrap(hdr), 0);
            Parallel.forEach(tensors.size(), threads, i -> fill(ch, tensors.get((int) i), base + offsets[(int) i], seed));
        }
        return off;
    }

    private static void fill(FileChannel ch, SynthTensor t, long pos, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ t.name().hashCode());
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(PIECE, t.elements()) * 2).order(ByteOrder.LITTLE_ENDIAN);
        short one = Fp16.floatToBf16(1.0f);
        float scale = 0.02f * (float) Math.sqrt(3.0) / 32768f;
        for (long done = 0; done < t.elements(); ) {
            int n = (int) Math.min(PIECE, t.elements() - done);
            buf.clear();
            for (int i = 0; i < n; i++) {
                buf.putShort(t.ones() ? one : Fp16.floatToBf16((short) rnd.nextInt() * scale));
            }
            buf.flip();
            writeFully(ch, buf, pos + done * 2);
            done += n;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) {
        try {
            while (b.hasRemaining()) pos += ch.write(b, pos);
        } catch (IOException e) {
            throw new KilnException("write failed: " + e.getMessage(), 1, e);
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    static boolean exists(Path p) {
        return Files.exists(p);
    }
}
