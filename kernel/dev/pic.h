/* pic.h: the two 8259A interrupt controllers, remapped to vectors 32-47. */
#ifndef KOIZ_PIC_H
#define KOIZ_PIC_H

void pic_init(void);
void pic_unmask(int irq);
void pic_mask(int irq);
void pic_eoi(int irq);
/* IRQ 7 and 15 can fire with nothing behind them; those must not be acknowledged. */
int pic_is_spurious(int irq);

#endif
