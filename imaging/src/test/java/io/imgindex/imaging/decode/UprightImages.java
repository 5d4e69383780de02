package io.imgindex.imaging.decode;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Reads an image file into RGB pixels the way {@link ImageDecoder} sees it, for tools that make copies of images:
 * EXIF orientation applied, grey values copied to the three channels (not gamma-converted as {@code getRGB}
 * does), transparency composited over white.
 */
public final class UprightImages {

    private UprightImages() {}

    public static BufferedImage read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
        if (img == null) {
            throw new IOException("cannot read " + file);
        }
        int w = img.getWidth();
        int h = img.getHeight();
        int[] px;
        if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            byte[] grey = new byte[w * h];
            img.getRaster().getDataElements(0, 0, w, h, grey);
            px = new int[w * h];
            for (int i = 0; i < px.length; i++) {
                int v = grey[i] & 0xFF;
                px[i] = v << 16 | v << 8 | v;
            }
        } else {
            px = img.getRGB(0, 0, w, h, null, 0, w);
            for (int i = 0; i < px.length; i++) {
                int p = px[i];
                int a = p >>> 24;
                if (a != 255) {
                    int r = ((p >> 16 & 0xFF) * a + 255 * (255 - a)) / 255;
                    int g = ((p >> 8 & 0xFF) * a + 255 * (255 - a)) / 255;
                    int b = ((p & 0xFF) * a + 255 * (255 - a)) / 255;
                    p = r << 16 | g << 8 | b;
                }
                px[i] = p & 0xFFFFFF;
            }
        }
        int orientation = ExifOrientation.read(bytes, ImageFormat.sniff(bytes));
        px = ExifOrientation.apply(px, w, h, orientation);
        if (ExifOrientation.swapsAxes(orientation)) {
            int t = w;
            w = h;
            h = t;
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        out.setRGB(0, 0, w, h, px, 0, w);
        return out;
    }
}
