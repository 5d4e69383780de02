package io.imgindex.imaging.decode;

import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi;
import io.imgindex.imaging.Reason;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.PixelInterleavedSampleModel;
import java.awt.image.SinglePixelPackedSampleModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadProgressListener;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.spi.ServiceRegistry;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Validates and decodes image bytes: tells the format from the leading bytes, refuses decompression bombs from
 * the header alone, decodes (subsampled when the image is much larger than needed), treats a decoder warning
 * of a premature end of data as corruption, applies the EXIF orientation, composites transparency over
 * white and resizes to the model's input.
 *
 * <p>Readers are created per call and never registered in ImageIO's global registry (which would pin the job's
 * class loader after the job ends). Thread-safe: no state beyond the options.
 */
public final class ImageDecoder {

    private static final ImageReaderSpi JPEG_READERS = jpegReaders();
    private static final ImageReaderSpi WEBP_READERS = new WebPImageReaderSpi();

    private final DecodeOptions options;
    private final Resizer.Mode mode;

    public ImageDecoder(DecodeOptions options) {
        this.options = options;
        this.mode = options.centerCrop() ? Resizer.Mode.CENTER_CROP : Resizer.Mode.SQUASH;
    }

    /**
     * Decodes one image; never throws, whatever the bytes: every failure, an error of the decoder included, is a
     * {@link DecodedImage#failed} result with a reason code. A thread interrupted while decoding stops the decode
     * (a request that timed out, a task that is cancelled) and gets {@code DECODE_TIMEOUT}.
     */
    public DecodedImage decode(byte[] bytes) {
        try {
            return decodeWithinLimits(bytes);
        } catch (Throwable e) { // NOPMD: every failure of a decode, an Error or a sneaky checked exception too
            // The limits are checked before decoding, so this is a decoder bug met by one crafted file: that file
            // fails, the job and the server go on. (An OutOfMemoryError here is one decode's allocation, released
            // with it.)
            ImageFormat format = bytes == null ? null : ImageFormat.sniff(bytes);
            return DecodedImage.failed(
                    format == null ? null : format.label(),
                    Reason.CORRUPT_IMAGE.name(),
                    "the decoder failed: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private DecodedImage decodeWithinLimits(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return DecodedImage.failed(null, Reason.NOT_AN_IMAGE.name(), "the content is empty");
        }
        ImageFormat format = ImageFormat.sniff(bytes);
        if (format == null) {
            return DecodedImage.failed(
                    null,
                    Reason.NOT_AN_IMAGE.name(),
                    "the content is not an image (starts with " + preview(bytes) + ")");
        }
        if (!format.decodable()) {
            return DecodedImage.failed(
                    format.label(),
                    Reason.UNSUPPORTED_FORMAT.name(),
                    format.label() + " images are not supported (jpeg, png, gif, bmp and webp are)");
        }
        ImageReader reader;
        try {
            reader = readerFor(format);
        } catch (IOException e) {
            return DecodedImage.failed(
                    format.label(),
                    Reason.UNSUPPORTED_FORMAT.name(),
                    "no decoder for " + format.label() + ": " + e.getMessage());
        }
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            long w;
            long h;
            try {
                w = reader.getWidth(0);
                h = reader.getHeight(0);
            } catch (IOException | RuntimeException e) {
                return corrupt(format, "the " + format.label() + " header does not parse: " + e.getMessage());
            }
            if (w < 1 || h < 1) {
                return corrupt(format, "the header declares " + w + "x" + h + " pixels");
            }
            DecodeOptions.Limits limits = options.limits();
            if (w * h > limits.maxPixels()) {
                return DecodedImage.failed(
                        format.label(),
                        Reason.TOO_MANY_PIXELS.name(),
                        "the header declares " + w + "x" + h + " = " + (w * h) + " pixels, the limit is "
                                + limits.maxPixels());
            }
            if (Math.max(w, h) > limits.maxSide()) {
                return DecodedImage.failed(
                        format.label(),
                        Reason.BAD_DIMENSIONS.name(),
                        "the header declares " + w + "x" + h + " pixels, a side over the limit of " + limits.maxSide());
            }
            if ((double) Math.max(w, h) / Math.min(w, h) > limits.maxAspectRatio()) {
                return DecodedImage.failed(
                        format.label(),
                        Reason.BAD_DIMENSIONS.name(),
                        String.format(
                                Locale.ROOT,
                                "the header declares %dx%d pixels, an aspect ratio of %.0f:1 over the limit of %.0f:1",
                                w,
                                h,
                                (double) Math.max(w, h) / Math.min(w, h),
                                limits.maxAspectRatio()));
            }
            if (format == ImageFormat.JPEG) {
                int scans = JpegScans.count(bytes);
                int allowed = limits.scansAllowed(w * h);
                if (scans > allowed) {
                    return DecodedImage.failed(
                            format.label(),
                            Reason.TOO_MANY_SCANS.name(),
                            "the jpeg has " + scans + " scans; at " + w + "x" + h + " pixels at most " + allowed
                                    + " are decoded (--decode.max-scans " + limits.maxScans() + ")");
                }
            }
            int orientation = ExifOrientation.read(bytes, format);
            boolean swap = ExifOrientation.swapsAxes(orientation);
            // The thumbnail comes from the same decode: it needs its own resolution too.
            int thumb = options.thumbnailSize();
            int needW = Math.max(thumb, swap ? options.targetHeight() : options.targetWidth());
            int needH = Math.max(thumb, swap ? options.targetWidth() : options.targetHeight());
            // Each axis on its own, so a thin image is reduced along its long side too: what is decoded stays under
            // four times the needed resolution on each axis (at least twice, so the area average below still has
            // pixels to average), whatever the file's shape.
            int stepX = (int) Math.max(1, w / (2L * needW));
            int stepY = (int) Math.max(1, h / (2L * needH));
            ImageReadParam param = reader.getDefaultReadParam();
            if (stepX > 1 || stepY > 1) {
                param.setSourceSubsampling(stepX, stepY, 0, 0);
            }
            Deadline deadline = new Deadline(limits.timeout());
            reader.addIIOReadProgressListener(deadline);
            BufferedImage image;
            try {
                image = reader.read(0, param);
            } catch (IOException | RuntimeException e) {
                if (deadline.stopped()) {
                    return deadline.failure(format);
                }
                String msg = String.valueOf(e.getMessage());
                if (msg.contains("Unsupported Image Type") || msg.contains("Unsupported")) {
                    return DecodedImage.failed(
                            format.label(),
                            Reason.UNSUPPORTED_FORMAT.name(),
                            "this " + format.label() + " variant is not supported: " + msg);
                }
                return corrupt(format, "decoding failed: " + e.getClass().getSimpleName() + ": " + msg);
            }
            if (deadline.stopped() || image == null) {
                return deadline.failure(format);
            }
            List<String> truncation =
                    warnings.stream().filter(ImageDecoder::meansTruncated).toList();
            if (!truncation.isEmpty()) {
                return corrupt(
                        format, "the " + format.label() + " data is truncated: " + String.join("; ", truncation));
            }
            if (format == ImageFormat.GIF && !endsWithGifTrailer(bytes)) {
                return corrupt(format, "the gif data is truncated (no trailer)");
            }
            long bmpNeeds = uncompressedBmpSize(bytes);
            if (format == ImageFormat.BMP && bytes.length < bmpNeeds) {
                return corrupt(format, "the bmp data is truncated: " + bytes.length + " of " + bmpNeeds + " bytes");
            }
            int iw = image.getWidth();
            int ih = image.getHeight();
            int[] px = opaqueRgb(image);
            px = ExifOrientation.apply(px, iw, ih, orientation);
            int ow = swap ? ih : iw;
            int oh = swap ? iw : ih;
            // A decoded pixel covers stepX x stepY source pixels: its width over its height, after rotation.
            double pixelAspect = swap ? (double) stepY / stepX : (double) stepX / stepY;
            byte[] pixels =
                    Resizer.resize(px, ow, oh, pixelAspect, options.targetWidth(), options.targetHeight(), mode);
            byte[] thumbnail = thumb == 0
                    ? null
                    : Thumbnails.jpeg(px, ow, oh, pixelAspect, thumb, (int) Math.max(swap ? h : w, swap ? w : h));
            return new DecodedImage(
                    format.label(),
                    (int) (swap ? h : w),
                    (int) (swap ? w : h),
                    orientation,
                    pixels,
                    null,
                    null,
                    thumbnail);
        } catch (IOException e) {
            return corrupt(format, "reading failed: " + e.getMessage());
        } finally {
            reader.dispose();
        }
    }

    /**
     * Stops a decode that runs past its time, or whose thread is interrupted: checked at each progress report of
     * the reader, on the decoding thread itself (the JDK's JPEG reader refuses {@code abort()} from another thread
     * while it reads). The readers report progress row by row, so a slow decode stops within a row.
     */
    private static final class Deadline implements IIOReadProgressListener {
        private final long start = System.nanoTime();
        private final Duration timeout;
        private final long end;
        private volatile String why;

        Deadline(Duration timeout) {
            this.timeout = timeout;
            this.end = start + timeout.toNanos();
        }

        boolean stopped() {
            return why != null;
        }

        DecodedImage failure(ImageFormat format) {
            String reason = why != null ? why : "the decoder returned no image";
            return DecodedImage.failed(format.label(), Reason.DECODE_TIMEOUT.name(), reason);
        }

        private void check(ImageReader source) {
            if (why != null) {
                return;
            }
            if (Thread.currentThread().isInterrupted()) {
                why = "decoding was cancelled after "
                        + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms";
            } else if (System.nanoTime() - end > 0) {
                why = "decoding took longer than the limit of " + timeout.toMillis() + " ms (--decode.timeout)";
            } else {
                return;
            }
            source.abort();
        }

        @Override
        public void imageProgress(ImageReader source, float percentageDone) {
            check(source);
        }

        @Override
        public void imageStarted(ImageReader source, int imageIndex) {
            check(source);
        }

        @Override
        public void thumbnailProgress(ImageReader source, float percentageDone) {
            check(source);
        }

        @Override
        public void imageComplete(ImageReader source) {}

        @Override
        public void sequenceStarted(ImageReader source, int minIndex) {}

        @Override
        public void sequenceComplete(ImageReader source) {}

        @Override
        public void thumbnailStarted(ImageReader source, int imageIndex, int thumbnailIndex) {}

        @Override
        public void thumbnailComplete(ImageReader source) {}

        @Override
        public void readAborted(ImageReader source) {}
    }

    /**
     * Whether a decoder warning means the data ended early: the decoder then fills the rest of the picture with
     * grey instead of failing. Other warnings (a missing colour profile, a few stray bytes before a marker) leave
     * a picture that displays fine, and are ignored.
     */
    static boolean meansTruncated(String warning) {
        String w = warning.toLowerCase(Locale.ROOT);
        return w.contains("premature end")
                || w.contains("truncat")
                || w.contains("unexpected end")
                || w.contains("end of file")
                || w.contains("eof");
    }

    private static DecodedImage corrupt(ImageFormat format, String message) {
        return DecodedImage.failed(format.label(), Reason.CORRUPT_IMAGE.name(), message);
    }

    private static ImageReader readerFor(ImageFormat format) throws IOException {
        switch (format) {
            case JPEG:
                return JPEG_READERS.createReaderInstance(null);
            case WEBP:
                return WEBP_READERS.createReaderInstance(null);
            default:
                Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.label());
                if (!readers.hasNext()) {
                    throw new IOException("no ImageIO reader for " + format.label());
                }
                return readers.next();
        }
    }

    /**
     * TwelveMonkeys' JPEG reader (CMYK, YCCK and broken ICC profiles, which the JDK's reader refuses) wraps the
     * JDK's reader, which it finds when registered. It is registered in a private registry holding only the
     * JDK's reader, so ImageIO's global registry is left alone. Falls back to the JDK's reader alone.
     */
    private static ImageReaderSpi jpegReaders() {
        ImageReaderSpi jdk = null;
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg"); it.hasNext(); ) {
            ImageReaderSpi spi = it.next().getOriginatingProvider();
            if (spi.getClass().getName().startsWith("com.sun.imageio.")) {
                jdk = spi;
            }
        }
        if (jdk == null) {
            throw new IllegalStateException("the JDK has no JPEG reader");
        }
        ServiceRegistry registry =
                new ServiceRegistry(List.<Class<?>>of(ImageReaderSpi.class).iterator());
        registry.registerServiceProvider(jdk, ImageReaderSpi.class);
        JPEGImageReaderSpi twelveMonkeys = new JPEGImageReaderSpi();
        registry.registerServiceProvider(twelveMonkeys, ImageReaderSpi.class);
        try {
            twelveMonkeys.createReaderInstance(null).dispose();
            return twelveMonkeys;
        } catch (IOException | RuntimeException e) {
            return jdk;
        }
    }

    /** Packed 0xRRGGBB pixels in sRGB, transparent pixels composited over white. */
    private static int[] opaqueRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[] px = packedDirectly(image);
        if (px != null) {
            return px;
        }
        px = image.getRGB(0, 0, w, h, null, 0, w);
        if (image.getColorModel().hasAlpha()) {
            for (int i = 0; i < px.length; i++) {
                int p = px[i];
                int a = p >>> 24;
                if (a != 255) {
                    int r = ((p >> 16 & 0xFF) * a + 255 * (255 - a)) / 255;
                    int g = ((p >> 8 & 0xFF) * a + 255 * (255 - a)) / 255;
                    int b = ((p & 0xFF) * a + 255 * (255 - a)) / 255;
                    px[i] = r << 16 | g << 8 | b;
                }
            }
        }
        return px;
    }

    /**
     * The pixels of the common decoder outputs read straight from the raster: 8-bit BGR (JPEG), 8-bit grey (grey
     * JPEG and PNG, whose values are copied to the three channels, as TensorFlow's decoders do) and packed RGB.
     * {@link BufferedImage#getRGB} converts pixel by pixel through the colour model and takes about a third of a
     * photo's decoding time. Null for any other layout, and for colour spaces other than sRGB.
     */
    private static int[] packedDirectly(BufferedImage image) {
        WritableRaster raster = image.getRaster();
        int w = image.getWidth();
        int h = image.getHeight();
        if (raster.getParent() != null
                || raster.getSampleModelTranslateX() != 0
                || raster.getSampleModelTranslateY() != 0) {
            return null;
        }
        int[] px = new int[w * h];
        switch (image.getType()) {
            case BufferedImage.TYPE_3BYTE_BGR -> {
                if (!image.getColorModel().getColorSpace().isCS_sRGB()
                        || !(raster.getSampleModel() instanceof PixelInterleavedSampleModel sm)
                        || sm.getPixelStride() != 3
                        || sm.getScanlineStride() != w * 3) {
                    return null;
                }
                byte[] bgr = ((DataBufferByte) raster.getDataBuffer()).getData();
                for (int i = 0, j = 0; i < px.length; i++, j += 3) {
                    px[i] = (bgr[j + 2] & 0xFF) << 16 | (bgr[j + 1] & 0xFF) << 8 | (bgr[j] & 0xFF);
                }
                return px;
            }
            case BufferedImage.TYPE_BYTE_GRAY -> {
                if (!(raster.getSampleModel() instanceof PixelInterleavedSampleModel sm)
                        || sm.getPixelStride() != 1
                        || sm.getScanlineStride() != w) {
                    return null;
                }
                byte[] grey = ((DataBufferByte) raster.getDataBuffer()).getData();
                for (int i = 0; i < px.length; i++) {
                    int v = grey[i] & 0xFF;
                    px[i] = v << 16 | v << 8 | v;
                }
                return px;
            }
            case BufferedImage.TYPE_INT_RGB -> {
                if (!(raster.getSampleModel() instanceof SinglePixelPackedSampleModel sm)
                        || sm.getScanlineStride() != w) {
                    return null;
                }
                int[] rgb = ((DataBufferInt) raster.getDataBuffer()).getData();
                for (int i = 0; i < px.length; i++) {
                    px[i] = rgb[i] & 0xFFFFFF;
                }
                return px;
            }
            default -> {
                return null;
            }
        }
    }

    private static boolean endsWithGifTrailer(byte[] b) {
        // Some encoders pad after the trailer; accept it within the last few bytes.
        for (int i = b.length - 1; i >= Math.max(0, b.length - 8); i--) {
            if (b[i] == 0x3B) {
                return true;
            }
            if (b[i] != 0) {
                return false;
            }
        }
        return false;
    }

    /**
     * The size an uncompressed BMP must have, from its headers, or 0 when it is compressed or the header is too
     * short to tell (the JDK's reader fills missing rows silently, so truncation is caught here).
     */
    private static long uncompressedBmpSize(byte[] b) {
        if (b.length < 34) {
            return 0;
        }
        long offset = le32(b, 10);
        long width = le32(b, 18);
        long height = Math.abs((long) (int) le32(b, 22));
        int bits = (b[28] & 0xFF) | (b[29] & 0xFF) << 8;
        long compression = le32(b, 30);
        if (compression != 0 || width <= 0 || bits == 0) {
            return 0;
        }
        long stride = (bits * width + 31) / 32 * 4;
        return offset + stride * height;
    }

    private static long le32(byte[] b, int i) {
        return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16 | (b[i + 3] & 0xFFL) << 24;
    }

    private static String preview(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(8, b.length); i++) {
            s.append(String.format("%02x", b[i] & 0xFF));
        }
        return "0x" + s;
    }
}
