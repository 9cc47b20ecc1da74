package kiln.cuda.check;

/**
 * One kernel's agreement with its scalar oracle: the largest error over the output, measured against a scale
 * (the row's Σ|w·x| for products, the largest |reference| otherwise), and the tolerance it must stay within.
 */
public record Agreement(String kernel, String shape, double maxError, double tolerance) {
    public boolean ok() {
        return maxError <= tolerance && !Double.isNaN(maxError);
    }

    public String json() {
        return String.format(java.util.Locale.ROOT, "{\"check\": \"agreement\", \"kernel\": \"%s\", \"shape\": \"%s\", \"max_error\": %.3e, \"tolerance\": %.1e, \"ok\": %s}",
                kernel, shape, maxError, tolerance, ok());
    }
}
