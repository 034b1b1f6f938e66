// 16550A UART (COM port) with transmit timing and the console buffer.
export * from './regs';
export { Uart16550, UartStats, type ConsoleByte, type UartOptions } from './device';
