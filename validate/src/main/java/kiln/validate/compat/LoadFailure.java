package kiln.validate.compat;

/** A runtime's refusal to load a model, with the message that runtime would print (or the closest paraphrase). */
final class LoadFailure extends Exception {
    LoadFailure(String message) {
        super(message, null, false, false);
    }
}
