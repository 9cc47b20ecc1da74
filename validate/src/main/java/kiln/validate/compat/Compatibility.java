package kiln.validate.compat;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.Codecs;
import kiln.validate.ModelView;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * For a model file, the verdict of mainline llama.cpp, ik_llama.cpp and Kiln's runtime: will it load, how many
 * tensors does it expect from the file's hyper-parameters, and if not, exactly why — in the order the real
 * loaders check (gguf reader type ids, hyper-parameters, tensor names and shapes, tensor count).
 */
public final class Compatibility {
    private Compatibility() {}

    public static final String MAINLINE = "llama.cpp";
    public static final String IK = "ik_llama.cpp";
    public static final String KILN = "kiln";

    private interface Rules {
        LoaderReplay run(ModelView m) throws LoadFailure;
    }

    public static List<RuntimeVerdict> judge(ModelView m) {
        return List.of(mainline(m), ik(m), kiln(m));
    }

    public static RuntimeVerdict mainline(ModelView m) {
        Rules rules = switch (String.valueOf(m.architecture())) {
            case Deepseek2Rules.ARCH -> Deepseek2Rules::mainline;
            case LlamaRules.ARCH -> LlamaRules::any;
            default -> null;
        };
        return verdict(MAINLINE, m, rules, TypeSupport.mainlineRefusal(m), null);
    }

    public static RuntimeVerdict ik(ModelView m) {
        Rules rules = switch (String.valueOf(m.architecture())) {
            case Deepseek2Rules.ARCH -> Deepseek2Rules::ik;
            case LlamaRules.ARCH -> LlamaRules::any;
            default -> null;
        };
        return verdict(IK, m, rules, TypeSupport.ikRefusal(m), null);
    }

    public static RuntimeVerdict kiln(ModelView m) {
        Rules rules = switch (String.valueOf(m.architecture())) {
            case Deepseek2Rules.ARCH -> Deepseek2Rules::kiln;
            case LlamaRules.ARCH -> LlamaRules::any;
            default -> null;
        };
        Predicate<GgmlType> codec = Compatibility::hasCodec;
        String noCodec = TypeSupport.firstUnknown(m, codec) == null ? null
                : "Kiln has no codec yet for " + TypeSupport.unknownTypes(m, codec);
        if (rules == null) {
            return new RuntimeVerdict(KILN, false, null, m.architecture() == null ? "will not load: " + describeArch(m) + ", nothing to run"
                    : "will not load: Kiln's runtime runs the deepseek2 and llama architectures, this file is " + describeArch(m), List.of());
        }
        return verdict(KILN, m, rules, null, noCodec);
    }

    /** Whether Kiln can decode a type (an interleaved type through its repack codec). */
    public static boolean hasCodec(GgmlType t) {
        return Codecs.canDequantize(t);
    }

    private static String describeArch(ModelView m) {
        String a = m.architecture();
        if (a != null) return "'" + a + "'";
        var type = m.metadata().get("general.type");
        return type != null ? "not a model (general.type " + type.render(1) + ")" : "a file without general.architecture";
    }

    /**
     * @param readerRefusal the runtime's GGUF reader refusal (types), checked before anything else
     * @param lateRefusal   a refusal that applies after the tensors check out (Kiln's codecs)
     */
    private static RuntimeVerdict verdict(String runtime, ModelView m, Rules rules, String readerRefusal, String lateRefusal) {
        LoaderReplay replay = null;
        String hparamFailure = null;
        if (rules != null) {
            try {
                replay = rules.run(m);
            } catch (LoadFailure f) {
                hparamFailure = f.getMessage();
            } catch (KilnException | ArithmeticException | IllegalArgumentException e) {
                hparamFailure = "unreadable hyper-parameters: " + e.getMessage();
            }
        }
        Long expected = replay == null ? null : replay.loader.expected();
        List<String> warnings = replay == null ? List.of() : new ArrayList<>(replay.warnings);
        if (readerRefusal != null) return new RuntimeVerdict(runtime, false, expected, "will not load: " + readerRefusal, List.of());
        if (rules == null && m.architecture() == null) {
            return new RuntimeVerdict(runtime, false, null, "will not load: " + describeArch(m) + ", nothing to run", List.of());
        }
        if (rules == null) {
            return new RuntimeVerdict(runtime, null, null, "not checked: Kiln knows the tensor inventory of deepseek2 and"
                    + " llama only, this file is " + describeArch(m), List.of());
        }
        if (hparamFailure != null) return new RuntimeVerdict(runtime, false, null, "will not load: " + hparamFailure, List.of());
        TensorLoader l = replay.loader;
        String where = replay.note.isEmpty() ? "" : " (" + replay.note + ")";
        if (l.firstFailure() != null) {
            String more = l.missing().size() > 1 ? "; " + l.missing().size() + " missing: " + Names.summarize(l.missing()) : "";
            return new RuntimeVerdict(runtime, false, expected, "will not load: " + l.firstFailure() + more + where, List.of());
        }
        String count = l.countFailure();
        if (count != null) {
            List<String> extra = l.unclaimed();
            String reason = "will not load: \"" + count + "\": it reads this file as the " + (replay.note.isEmpty() ? m.architecture() : replay.note)
                    + " and expects " + l.expected() + " tensors, the file has " + l.fileCount()
                    + (extra.isEmpty() ? "" : " (" + extra.size() + " extra: " + Names.summarize(extra) + ")");
            return new RuntimeVerdict(runtime, false, expected, reason, List.of());
        }
        if (lateRefusal != null) return new RuntimeVerdict(runtime, false, expected, "will not load: " + lateRefusal, List.of());
        return new RuntimeVerdict(runtime, true, expected, "loads (" + l.expected() + " tensors" + (replay.note.isEmpty() ? "" : ", " + replay.note) + ")", warnings);
    }
}
