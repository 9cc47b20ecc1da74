package kiln.tensor.codec.ik;

/**
 * Whether {@code jdk.incubator.vector} is in the boot layer (run with {@code --add-modules jdk.incubator.vector}),
 * looked up once. The quantizers pick their vector searches by it and otherwise keep the scalar ones, so no class a
 * codec loads needs the module.
 */
final class VectorModule {
    private VectorModule() {}

    static final boolean PRESENT = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
}
